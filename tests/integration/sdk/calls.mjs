// calls.mjs: one request per API with the official SDKs, configured the way
// tools are (by environment only); each returns { text, usage } or throws
// the SDK's typed error.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { clientOptions } from "./common.mjs";

// chat completions: OPENAI_BASE_URL and OPENAI_API_KEY (any value).
export async function chat({ model, maxTokens, prompt, stream }) {
  const client = new OpenAI(clientOptions);
  const body = { model, max_tokens: maxTokens, messages: [{ role: "user", content: prompt }] };
  let r;
  if (!stream) {
    r = await client.chat.completions.create(body);
  } else {
    // The helper checks the chunks add up to one completion.
    const s = client.chat.completions.stream({ ...body, stream_options: { include_usage: true } });
    r = await s.finalChatCompletion();
  }
  return { text: r.choices[0].message.content, usage: r.usage };
}

// Responses: the same environment as chat completions.
export async function responses({ model, maxTokens, prompt, stream }) {
  const client = new OpenAI(clientOptions);
  const body = { model, max_output_tokens: maxTokens, input: prompt };
  let r;
  if (!stream) {
    r = await client.responses.create(body);
  } else {
    // The helper follows output indexes and sequence numbers.
    const s = client.responses.stream(body);
    for await (const ev of s) {
      if (ev.type === "response.failed")
        throw Object.assign(new Error(ev.response.error?.message ?? "response failed"), {
          type: ev.response.error?.code ?? "response.failed",
          status: "stream",
        });
    }
    r = await s.finalResponse();
  }
  if (r.status === "failed")
    throw Object.assign(new Error(r.error?.message ?? "response failed"), {
      type: r.error?.code ?? "failed",
      status: "200",
    });
  return { text: r.output_text, usage: r.usage };
}

// Anthropic Messages, configured as Claude Code is: ANTHROPIC_BASE_URL (the
// SDK adds /v1/messages) and ANTHROPIC_AUTH_TOKEN (any value, sent as a
// Bearer token).
export async function messages({ model, maxTokens, prompt, stream }) {
  const client = new Anthropic({ ...clientOptions, apiKey: null });
  const body = { model, max_tokens: maxTokens, messages: [{ role: "user", content: prompt }] };
  // The stream helper rebuilds the message from the events and checks their order.
  const m = !stream
    ? await client.messages.create(body)
    : await client.messages.stream(body).finalMessage();
  return { text: m.content.filter((b) => b.type === "text").map((b) => b.text).join(""), usage: m.usage };
}

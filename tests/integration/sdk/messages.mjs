// messages.mjs [--stream]: Anthropic's Messages API with the official
// @anthropic-ai/sdk, configured as Claude Code is: ANTHROPIC_BASE_URL (the
// SDK adds /v1/messages) and ANTHROPIC_AUTH_TOKEN (any value, sent as a
// Bearer token).
import Anthropic from "@anthropic-ai/sdk";
import { answer, clientOptions, maxTokens, model, prompt, run, stream } from "./common.mjs";

await run(async () => {
  const client = new Anthropic({ ...clientOptions, apiKey: null });
  const body = { model, max_tokens: maxTokens, messages: [{ role: "user", content: prompt }] };
  let m;
  if (!stream) {
    m = await client.messages.create(body);
  } else {
    // The helper rebuilds the message from the events and checks their order.
    m = await client.messages.stream(body).finalMessage();
  }
  answer(
    m.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
    m.usage,
  );
});

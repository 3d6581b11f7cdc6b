// responses.mjs [--stream]: the Responses API with the official openai SDK
// (OPENAI_BASE_URL, OPENAI_API_KEY any value).
import OpenAI from "openai";
import { answer, clientOptions, maxTokens, model, prompt, run, stream } from "./common.mjs";

await run(async () => {
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
  answer(r.output_text, r.usage);
});

// messages.mjs [--stream]: Anthropic's Messages API with the official
// @anthropic-ai/sdk (ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN any value).
import { messages } from "./calls.mjs";
import { answer, maxTokens, model, prompt, run, stream } from "./common.mjs";

await run(async () => {
  const r = await messages({ model, maxTokens, prompt, stream });
  answer(r.text, r.usage);
});

// responses.mjs [--stream]: the Responses API with the official openai SDK
// (OPENAI_BASE_URL, OPENAI_API_KEY any value).
import { responses } from "./calls.mjs";
import { answer, maxTokens, model, prompt, run, stream } from "./common.mjs";

await run(async () => {
  const r = await responses({ model, maxTokens, prompt, stream });
  answer(r.text, r.usage);
});

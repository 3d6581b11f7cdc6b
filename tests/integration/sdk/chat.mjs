// chat.mjs [--stream]: chat completions with the official openai SDK,
// configured as tools are: OPENAI_BASE_URL and OPENAI_API_KEY (any value).
import { chat } from "./calls.mjs";
import { answer, maxTokens, model, prompt, run, stream } from "./common.mjs";

await run(async () => {
  const r = await chat({ model, maxTokens, prompt, stream });
  answer(r.text, r.usage);
});

// chat.mjs [--stream]: chat completions with the official openai SDK,
// configured as tools are: OPENAI_BASE_URL and OPENAI_API_KEY (any value).
import OpenAI from "openai";
import { answer, clientOptions, maxTokens, model, prompt, run, stream } from "./common.mjs";

await run(async () => {
  const client = new OpenAI(clientOptions);
  const body = { model, max_tokens: maxTokens, messages: [{ role: "user", content: prompt }] };
  if (!stream) {
    const r = await client.chat.completions.create(body);
    answer(r.choices[0].message.content, r.usage);
    return;
  }
  // The helper checks the chunks add up to one completion.
  const s = client.chat.completions.stream({ ...body, stream_options: { include_usage: true } });
  const r = await s.finalChatCompletion();
  answer(r.choices[0].message.content, r.usage);
});

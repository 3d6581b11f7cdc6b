// cases.mjs CASE...: many requests in one node process, one after another
// (starting node once per request would dominate a test's time). A case is
// NAME=API[,stream][,model=SLUG][,max_tokens=N]; API is chat, responses or
// messages; the defaults are SDK_MODEL, SDK_MAX_TOKENS and SDK_PROMPT. Each
// case prints common.mjs's lines prefixed by its name: "NAME ANSWER ...",
// "NAME USAGE ..." or "NAME ERROR <class> <status> <type> <message>".
import * as calls from "./calls.mjs";
import { errorLine, maxTokens, model, prompt } from "./common.mjs";

for (const spec of process.argv.slice(2)) {
  const eq = spec.indexOf("=");
  const name = spec.slice(0, eq);
  const [api, ...opts] = spec.slice(eq + 1).split(",");
  const req = { model, maxTokens, prompt, stream: false };
  for (const o of opts) {
    if (o === "stream") req.stream = true;
    else if (o.startsWith("model=")) req.model = o.slice(6);
    else if (o.startsWith("max_tokens=")) req.maxTokens = Number(o.slice(11));
    else throw new Error(`case ${spec}: unknown option ${o}`);
  }
  try {
    if (eq < 1 || !(api in calls)) throw new Error(`bad case ${spec}`);
    const r = await calls[api](req);
    console.log(`${name} ANSWER ${JSON.stringify(r.text)}`);
    console.log(`${name} USAGE ${JSON.stringify(r.usage ?? null)}`);
  } catch (e) {
    console.log(`${name} ${errorLine(e)}`);
  }
}

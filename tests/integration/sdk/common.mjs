// common.mjs: what every SDK client script prints, so that shell tests can
// assert on it: one "ANSWER <json string>" line and one "USAGE <json>" line
// on success; "ERROR <class> <status> <type> <json message>" and exit 2 on
// failure (the SDK's typed error, as a tool would see it).
export const stream = process.argv.includes("--stream");
export const model = process.env.SDK_MODEL || "openai/gpt-4o-mini";
export const prompt = process.env.SDK_PROMPT || "Say hello";
export const maxTokens = Number(process.env.SDK_MAX_TOKENS || 100);
// Retries would hide a fault the test queued for one request.
export const clientOptions = { maxRetries: 0, timeout: 60000 };

export function answer(text, usage) {
  console.log("ANSWER " + JSON.stringify(text));
  console.log("USAGE " + JSON.stringify(usage ?? null));
}

// errorLine: "ERROR <class> <status> <type> <json message>" for a failure.
export function errorLine(e) {
  const type = e?.error?.error?.type ?? e?.error?.type ?? e?.type ?? "-";
  return (
    `ERROR ${e?.constructor?.name ?? "Error"} ${e?.status ?? "-"} ${type} ` +
    JSON.stringify(String(e?.message ?? e))
  );
}

export function fail(e) {
  console.log(errorLine(e));
  process.exit(2);
}

export async function run(main) {
  try {
    await main();
  } catch (e) {
    fail(e);
  }
}

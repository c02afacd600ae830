// Counts tokens with OpenAI's tiktoken (WASM): the independent reference of the token tests.
// stdin: {"texts": [string, ...]}; stdout: {"o200k_base": [count, ...], "cl100k_base": [count, ...]}.
// encode_ordinary: special-token text such as <|endoftext|> is counted as ordinary text.
const { get_encoding } = require("tiktoken");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const { texts } = JSON.parse(input);
  const out = {};
  for (const name of ["o200k_base", "cl100k_base"]) {
    const encoding = get_encoding(name);
    out[name] = texts.map((text) => encoding.encode_ordinary(text).length);
    encoding.free();
  }
  process.stdout.write(JSON.stringify(out));
});

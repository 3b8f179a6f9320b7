// uvu formats a failed test by calling `err.details.split(...)`, assuming an
// assertion error's string. A ConnectError carries `details` as an array, so a
// test that fails by throwing one would crash the formatter, lose the failure
// and stop the file. This load hook makes uvu format only string details.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!/\\/uvu\\/dist\\/index\\.mjs$/.test(url)) return result;
  const source = String(result.source).replace(
    "if (details) str += GUTTER",
    "if (typeof details === 'string' && details) str += GUTTER",
  );
  return { ...result, source };
}`),
);

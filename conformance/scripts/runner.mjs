// Where the conformance runner lives and which release is pinned. The version
// is read from this package's package.json ("config.runnerVersion"), the one
// place it is written down.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The package folder (conformance/). */
export const packageDir = fileURLToPath(new URL("..", import.meta.url));

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/** The Go module that holds the runner and the suite's .proto files. */
export const runnerModule = "connectrpc.com/conformance";

/** The pinned release, e.g. "v1.0.5". */
export const runnerVersion = pkg.config.runnerVersion;

/** Where `go install` puts the binary: a folder of this package, ignored by git. */
export const runnerBinDir = fileURLToPath(new URL("../.bin/", import.meta.url));

/** The runner executable. */
export const runnerPath = `${runnerBinDir}connectconformance`;

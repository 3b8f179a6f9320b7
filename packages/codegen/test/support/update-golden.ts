// Regenerates test/golden from test/proto: run it after changing the generator
// or the test protos, and review the diff before committing it.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { bufGenerate, packageDir } from "./buf-generate.js";

const testDir = join(packageDir, "test");
const golden = join(testDir, "golden");
await rm(golden, { recursive: true, force: true });
await bufGenerate(testDir, golden);
console.log("regenerated test/golden");

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bufGenerate, packageDir, readTree, tempDir } from "./support/buf-generate.js";
import { runPlugin } from "./support/plugin-request.js";

const testDir = join(packageDir, "test");
const goldenDir = join(testDir, "golden");
const protoDir = join(testDir, "proto");

// One run of buf with the real plugin binaries, shared by the tests below.
let first: Map<string, string> | undefined;
async function generated(): Promise<Map<string, string>> {
  if (first === undefined) {
    const out = await tempDir();
    try {
      await bufGenerate(testDir, out.path);
      first = await readTree(out.path);
    } finally {
      await out.dispose();
    }
  }
  return first;
}

test("buf generate writes exactly the golden files", async () => {
  const actual = await generated();
  const golden = await readTree(goldenDir);
  assert.equal([...actual.keys()], [...golden.keys()], "the same set of files");
  for (const [name, content] of actual) {
    // fixture() shows a line diff when a file differs.
    assert.fixture(content, golden.get(name)!, `${name} differs: run npm run update-golden`);
  }
  assert.ok(golden.has("ts/example/v1/kinds_connect.ts"));
  assert.ok(golden.has("js-dts/example/v1/kinds_connect.js"));
  assert.ok(golden.has("js-dts/example/v1/kinds_connect.d.ts"));
  // A file without services gets no _connect file.
  assert.not.ok(golden.has("ts/example/common/v1/common_connect.ts"));
});

test("the output is stable: the same request gives byte-identical files", async () => {
  const golden = await generated();
  for (const [parameter, dir] of [
    ["target=ts,import_extension=js", "ts"],
    ["target=js+dts,import_extension=js", "js-dts"],
  ] as const) {
    const once = await runPlugin(protoDir, parameter);
    const twice = await runPlugin(protoDir, parameter);
    assert.equal(twice, once, parameter);
    assert.ok(once.size >= 3, parameter);
    // In process or through buf, the plugin writes the same bytes.
    for (const [name, content] of once) {
      assert.fixture(content, golden.get(`${dir}/${name}`) ?? "(missing)", `${dir}/${name}`);
    }
  }
});

test("comments become TSDoc, with */ escaped and trailing comments kept", async () => {
  const kinds = (await generated()).get("ts/example/v1/kinds_connect.ts")!;
  assert.match(kinds, " * KindsService exercises every kind of RPC.\n *\n * Its comment spans");
  assert.match(kinds, "TSDoc block early: *\\/ must come out escaped.");
  assert.not.match(kinds, "early: */");
  assert.match(kinds, "   * Ping is unary. It reads only, so it is safe to send as a GET.\n");
  assert.match(kinds, "   * A trailing comment documents this one.\n");
  // Declarations carry the same documentation as the TypeScript.
  const dts = (await generated()).get("js-dts/example/v1/kinds_connect.d.ts")!;
  assert.match(dts, "   * Ping is unary. It reads only, so it is safe to send as a GET.\n");
});

test("deprecated RPCs and services are marked @deprecated", async () => {
  const kinds = (await generated()).get("ts/example/v1/kinds_connect.ts")!;
  const before = (needle: string) => {
    const at = kinds.indexOf(needle);
    assert.ok(at > 0, needle);
    return kinds.slice(kinds.lastIndexOf("/**", at), at);
  };
  assert.match(before("  old(request"), "@deprecated");
  assert.match(before("  callOld(request"), "@deprecated");
  assert.not.match(before("  ping(request"), "@deprecated");
  assert.match(before("export class LegacyServiceClient"), "@deprecated");
  assert.match(before("export interface LegacyServiceImplementation"), "@deprecated");
  assert.match(before("export function legacyService"), "@deprecated");
  assert.not.match(before("export class KindsServiceClient"), "@deprecated");
});

test("idempotency levels are documented and reach the method descriptors", async () => {
  const kinds = (await generated()).get("ts/example/v1/kinds_connect.ts")!;
  assert.match(kinds, "(`NO_SIDE_EFFECTS`): eligible for Connect GET when the client enables");
  assert.match(kinds, "Idempotent (`IDEMPOTENT`):\n   * safe to retry.");
  const url = (path: string) => pathToFileURL(join(goldenDir, path)).href;
  const { KindsService } = (await import(
    url("ts/example/v1/kinds_pb.ts")
  )) as typeof import("./golden/ts/example/v1/kinds_pb.js");
  assert.is(KindsService.method.ping.idempotency, MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS);
  assert.is(KindsService.method.put.idempotency, MethodOptions_IdempotencyLevel.IDEMPOTENT);
  assert.is(
    KindsService.method.count.idempotency,
    MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN,
  );
  const { ItemService } = (await import(
    url("ts/example/nested/deep/v2/item_service_pb.ts")
  )) as typeof import("./golden/ts/example/nested/deep/v2/item_service_pb.js");
  assert.is(
    ItemService.method.getLabel.idempotency,
    MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
  );
});

test("names that clash with JavaScript or with generated names are escaped", async () => {
  const clash = (await generated()).get("ts/example/v1/clash_connect.ts")!;
  // A method called constructor would be the class constructor.
  assert.match(clash, "  constructor$(request");
  assert.match(clash, "ClashService.method.constructor$,");
  // A client with a then method would be a thenable.
  assert.match(clash, "  then$(request");
  assert.not.match(clash, "  then(request: MessageInitShape");
  // ... but the implementation keys are what the runtime looks up.
  assert.match(clash, "  then(request: ClashRequest, context: HandlerContext)");
  assert.match(clash, "  delete(request");
  assert.match(clash, "  class(request");
  // Say's low-level method yields the name callSay to the RPC called CallSay.
  assert.match(clash, "  callSay$(request");
  assert.match(
    clash,
    "  callSay(request: MessageInitShape<typeof ClashRequestSchema>, options?: CallOptions): Promise<ClashServiceClient$1>",
  );
  // The message named like the client class is imported under an alias.
  assert.match(clash, "ClashServiceClient as ClashServiceClient$1");
  // A service named Delete registers through a function that is a valid identifier.
  assert.match(clash, "export function delete$(implementation: Partial<DeleteImplementation>)");
});

test("services in nested packages import across files and from well-known types", async () => {
  const items = (await generated()).get("ts/example/nested/deep/v2/item_service_connect.ts")!;
  assert.match(items, 'from "./items_pb.js";');
  assert.match(items, 'import { ItemService } from "./item_service_pb.js";');
  assert.match(items, 'import type { Page, PageSchema } from "../../../common/v1/common_pb.js";');
  assert.match(items, 'import type { Empty, EmptySchema } from "@bufbuild/protobuf/wkt";');
});

test("the generated code exposes no any", async () => {
  for (const [name, content] of await generated()) {
    if (!name.includes("_connect.")) {
      continue;
    }
    const code = content.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    assert.not.match(code, /\bany\b/, name);
  }
});

test("the JavaScript output imports only values and needs no helpers", async () => {
  const js = (await generated()).get("js-dts/example/v1/kinds_connect.js")!;
  assert.match(js, 'import { registerService, RpcClient } from "@connect-ts/protocol";');
  assert.match(js, 'import { EmptyService, KindsService, LegacyService } from "./kinds_pb.js";');
  assert.not.match(js, "import type");
  assert.not.match(js, "__classPrivateField");
  assert.match(
    js,
    "  ping(request, options) {\n    return this.#rpc.unary(KindsService.method.ping, request, options);\n  }",
  );
});

test("the golden template uses local plugins only, so it works offline", async () => {
  const template = await readFile(join(testDir, "buf.gen.yaml"), "utf8");
  assert.match(template, "local: protoc-gen-connect-ts");
  assert.match(template, "local: protoc-gen-es");
  assert.not.match(template, "remote:");
});

test.run();

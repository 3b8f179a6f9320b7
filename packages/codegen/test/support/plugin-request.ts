import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { create, fromBinary } from "@bufbuild/protobuf";
import {
  type CodeGeneratorRequest,
  CodeGeneratorRequestSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { protocGenConnectTs } from "../../src/index.js";
import { bufBin, run, tempDir } from "./buf-generate.js";

const images = new Map<string, Uint8Array>();

/**
 * Compiles the protos in `protoDir` with `buf build` (once per folder) into an
 * image, which on the wire is a FileDescriptorSet with source info: the same
 * descriptors buf hands a plugin.
 */
async function image(protoDir: string): Promise<Uint8Array> {
  let bytes = images.get(protoDir);
  if (bytes === undefined) {
    const dir = await tempDir();
    try {
      const out = join(dir.path, "image.binpb");
      await run(bufBin, ["build", protoDir, "-o", out], { cwd: protoDir });
      bytes = await readFile(out);
      images.set(protoDir, bytes);
    } finally {
      await dir.dispose();
    }
  }
  return bytes;
}

/** A CodeGeneratorRequest for every non-Google file in `protoDir`, as protoc or buf would send it. */
export async function pluginRequest(
  protoDir: string,
  parameter: string,
): Promise<CodeGeneratorRequest> {
  const set = fromBinary(FileDescriptorSetSchema, await image(protoDir));
  return create(CodeGeneratorRequestSchema, {
    parameter,
    protoFile: set.file,
    fileToGenerate: set.file.map((f) => f.name).filter((n) => !n.startsWith("google/")),
  });
}

/** Runs the plugin in this process and returns the files it writes, by name. */
export async function runPlugin(protoDir: string, parameter: string): Promise<Map<string, string>> {
  const response = protocGenConnectTs.run(await pluginRequest(protoDir, parameter));
  if (response.error !== undefined && response.error !== "") {
    throw new Error(response.error);
  }
  return new Map(response.file.map((f) => [f.name, f.content]));
}

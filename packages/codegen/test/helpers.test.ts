import { test } from "uvu";
import * as assert from "uvu/assert";
import { paragraphs, prose } from "../src/doc-text.js";
import { lowerFirst, NameAllocator, upperFirst } from "../src/name-allocator.js";

test("NameAllocator hands out each name once, appending $ on a clash", () => {
  const names = new NameAllocator();
  assert.is(names.claim("say"), "say");
  assert.is(names.claim("say"), "say$");
  assert.is(names.claim("say"), "say$$");
  assert.is(names.claim("say$"), "say$$$");
  assert.is(names.claim("callSay"), "callSay");
});

test("upperFirst and lowerFirst change only the first letter", () => {
  assert.is(upperFirst("sayHello"), "SayHello");
  assert.is(lowerFirst("ElizaService"), "elizaService");
  assert.is(upperFirst(""), "");
  assert.is(lowerFirst(""), "");
});

test("prose wraps at 80 columns, indents tag continuations, keeps code spans whole", () => {
  const text =
    "@param request - The request, as a message or an init object (`{ field: value }`), " +
    "and some more words so that the line has to wrap more than once at the width.";
  const lines = prose(text).split("\n");
  assert.ok(lines.length >= 2);
  for (const line of lines) {
    assert.ok(line.length <= 80 || !line.trimStart().includes(" "), line);
  }
  assert.ok(lines[0]!.startsWith("@param request"));
  for (const line of lines.slice(1)) {
    assert.ok(line.startsWith("  "), `continuation is indented: ${line}`);
  }
  const joined = lines.map((l) => l.trim()).join(" ");
  assert.is(joined, text);
  assert.ok(
    lines.some((l) => l.includes("`{ field: value }`")),
    "code span kept on one line",
  );
});

test("prose leaves short lines and line breaks alone", () => {
  assert.is(prose("one\ntwo"), "one\ntwo");
  assert.is(prose(""), "");
});

test("paragraphs skips empty parts", () => {
  assert.is(paragraphs("a", "", undefined, "b"), "a\n\nb");
});

test.run();

import { test } from "uvu";
import * as assert from "uvu/assert";
import { introduction, isGoodbye, reflect, reply, respondToMonologue } from "../src/eliza.js";

test("reflect turns the speaker's words around", () => {
  assert.is(reflect("my job bores me."), "your job bores you");
  assert.is(reflect("You are kind"), "I am kind");
  assert.is(reflect("  I   was  tired "), "you were tired");
});

test("reply matches patterns and reflects what it captured", () => {
  assert.match(
    reply("I need a holiday"),
    /(Why do you need a holiday\?|Would it really help you to get a holiday\?)/,
  );
  assert.match(
    reply("I am sad about my work."),
    /you are sad about your work|sad about your work\?/,
  );
  assert.match(reply("Hello, Eliza!"), /^(Hello\.|Hi there\.)/);
  assert.match(reply("What do you think?"), /think\?$/);
  assert.match(
    reply("I have been having trouble communicating."),
    /you (have )?been having trouble communicating\?$/,
  );
  assert.match(reply("I have many things on my mind."), /(have|having) many things on your mind/);
  assert.is(reply(""), "You are very quiet today.");
  assert.is(reply("Bye then"), "Goodbye. It was nice talking to you.");
});

test("reply is deterministic", () => {
  for (const s of ["I feel fine", "Tell me a story", "Is it raining?"]) {
    assert.is(reply(s), reply(s));
  }
});

test("goodbyes, introductions and monologues", () => {
  assert.ok(isGoodbye("Goodbye."));
  assert.not.ok(isGoodbye("Good day"));
  const intro = introduction("Henry");
  assert.is(intro[0], "Hi Henry, I'm Eliza.");
  assert.is(introduction(" ")[0], "Hi stranger, I'm Eliza.");
  assert.match(respondToMonologue(["a", "I think so"]), /^You said 2 things\. /);
  assert.match(respondToMonologue([]), /didn't say anything/);
});

test.run();

// Eliza's way with words: a handful of patterns, each with replies that turn
// the speaker's own words back on them. No state, no randomness: the reply is
// picked by a hash of the sentence, so the same sentence always gets the same
// answer (which keeps the demo and its tests reproducible).

/** Words swapped when Eliza repeats something back: "my job" becomes "your job". */
const reflections: ReadonlyMap<string, string> = new Map([
  ["i", "you"],
  ["me", "you"],
  ["my", "your"],
  ["mine", "yours"],
  ["myself", "yourself"],
  ["am", "are"],
  ["i'm", "you are"],
  ["i've", "you have"],
  ["i'll", "you will"],
  ["i'd", "you would"],
  ["was", "were"],
  ["you", "I"],
  ["your", "my"],
  ["yours", "mine"],
  ["yourself", "myself"],
  ["you're", "I am"],
  ["you've", "I have"],
  ["are", "am"],
]);

interface Rule {
  readonly pattern: RegExp;
  /** Replies; `$1` stands for the reflected text the pattern captured. */
  readonly replies: readonly string[];
}

const rules: readonly Rule[] = [
  {
    pattern: /\b(?:hello|hi|hey)\b/i,
    replies: ["Hello. How are you feeling today?", "Hi there. What would you like to talk about?"],
  },
  {
    pattern: /\bi need (.+)/i,
    replies: ["Why do you need $1?", "Would it really help you to get $1?"],
  },
  {
    pattern: /\bi(?: am|'m) (.+)/i,
    replies: ["How long have you been $1?", "Why do you say you are $1?"],
  },
  {
    pattern: /\bi feel (.+)/i,
    replies: ["Tell me more about feeling $1.", "Do you often feel $1?"],
  },
  {
    pattern: /\bi have been (.+)/i,
    replies: ["How long have you been $1?", "Why do you think you have been $1?"],
  },
  {
    pattern: /\bi have (.+)/i,
    replies: ["Why do you tell me you have $1?", "How does having $1 affect you?"],
  },
  {
    pattern: /\bi think (.+)/i,
    replies: ["Do you really think $1?", "Why do you think $1?"],
  },
  {
    pattern: /\b(?:mother|father|family|sister|brother)\b/i,
    replies: ["Tell me more about your family.", "How do you get along with your family?"],
  },
  {
    pattern: /\bbecause (.+)/i,
    replies: ["Is that the real reason?", "What else could explain $1?"],
  },
  {
    pattern: /\bwhat do you think\b/i,
    replies: ["What do you think?", "Why do you ask what I think?"],
  },
  {
    pattern: /(.+)\?$/,
    replies: ["Why do you ask that?", "What answer would please you most?"],
  },
  {
    pattern: /(.+)/,
    replies: [
      "Please, go on.",
      "I see. And how does that make you feel?",
      "Can you tell me more about that?",
      "Very interesting. Why do you say that?",
    ],
  },
];

/** Whether a sentence ends the conversation. */
export function isGoodbye(sentence: string): boolean {
  return /\b(?:bye|goodbye|farewell)\b/i.test(sentence);
}

/** Turns the speaker's words around: "my job bores me" -> "your job bores you". */
export function reflect(text: string): string {
  return text
    .toLowerCase()
    .replace(/[.!?]+$/, "")
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => reflections.get(w) ?? w)
    .join(" ");
}

/** Eliza's answer to one sentence. */
export function reply(sentence: string): string {
  const text = sentence.trim();
  if (text.length === 0) {
    return "You are very quiet today.";
  }
  if (isGoodbye(text)) {
    return "Goodbye. It was nice talking to you.";
  }
  for (const rule of rules) {
    const match = rule.pattern.exec(text);
    if (match !== null) {
      const replies = rule.replies;
      const chosen = replies[hash(text) % replies.length]!;
      return chosen.replace("$1", reflect(match[1] ?? ""));
    }
  }
  return "Please, go on.";
}

/** What Eliza says to introduce herself to someone called `name`. */
export function introduction(name: string): string[] {
  const who = name.trim().length > 0 ? name.trim() : "stranger";
  return [
    `Hi ${who}, I'm Eliza.`,
    "I first appeared in 1966, in Joseph Weizenbaum's lab at MIT.",
    "I imitate a Rogerian psychotherapist: mostly, I ask you about yourself.",
    "How are you feeling today?",
  ];
}

/** Eliza's answer to a monologue: she picks up on the last thing said. */
export function respondToMonologue(sentences: readonly string[]): string {
  if (sentences.length === 0) {
    return "You didn't say anything. Take your time.";
  }
  const last = sentences[sentences.length - 1]!;
  return `You said ${sentences.length} thing${sentences.length === 1 ? "" : "s"}. ${reply(last)}`;
}

/** FNV-1a: a small, stable string hash. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

import type { ChildProcess } from "node:child_process";

/** A command sent to a child process. */
export interface IpcCommand {
  readonly id: number;
  readonly cmd: string;
  readonly arg: unknown;
}

/** A child's answer to one command. */
export interface IpcReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** Handlers of the commands a child process accepts. */
export type IpcHandlers = Record<string, (arg: never) => Promise<unknown>>;

/**
 * Serves commands from the parent over the IPC channel, one reply per
 * command, and exits when the parent goes away so no child outlives a run.
 */
export function serveIpc(handlers: IpcHandlers): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error("not started with an IPC channel");
  process.on("message", (message: IpcCommand) => {
    const handler = handlers[message.cmd];
    if (handler === undefined) {
      send({ id: message.id, ok: false, error: `unknown command ${message.cmd}` });
      return;
    }
    handler(message.arg as never).then(
      (result) => send({ id: message.id, ok: true, result }),
      (error: unknown) =>
        send({
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}

/** The parent's handle on a child that serves commands. */
export class ChildHandle {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (reply: IpcReply) => void>();
  #nextId = 1;
  #exited: string | undefined;

  constructor(child: ChildProcess) {
    this.#child = child;
    child.on("message", (reply: IpcReply) => {
      const done = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      done?.(reply);
    });
    child.on("exit", (code, signal) => {
      this.#exited = `child exited (${signal ?? code})`;
      for (const done of this.#pending.values()) {
        done({ id: 0, ok: false, error: this.#exited });
      }
      this.#pending.clear();
    });
  }

  /** The child's process id, for profiling notes. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Sends a command and resolves with its result; rejects with the child's error. */
  call<T>(cmd: string, arg: unknown = null, timeoutMs = 120_000): Promise<T> {
    if (this.#exited !== undefined) return Promise.reject(new Error(this.#exited));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.ok) resolve(reply.result as T);
        else reject(new Error(`${cmd}: ${reply.error}`));
      });
      this.#child.send({ id, cmd, arg } satisfies IpcCommand);
    });
  }

  /** Ends the child: disconnecting makes it exit; a kill follows if it lingers. */
  async stop(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
}

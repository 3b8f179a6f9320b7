/** The RPC stacks compared. `bare` is the floor: plain Node HTTP, no RPC layer. */
export type StackName = "ours" | "connect-es" | "grpc-js" | "bare";

/** Every stack, in the order the table shows them. */
export const STACKS: readonly StackName[] = ["ours", "connect-es", "grpc-js", "bare"];

/** The HTTP versions a server or client speaks. */
export type HttpVersion = "1.1" | "2";

/** The RPC protocol on the wire. */
export type Wire = "connect" | "grpc";

/** A running server of one stack, inside a child process. */
export interface BenchServer {
  readonly port: number;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** What a server is started with. */
export interface ServerSpec {
  readonly stack: StackName;
  readonly httpVersion: HttpVersion;
}

/** What a client is built with. */
export interface ClientSpec {
  readonly stack: StackName;
  readonly httpVersion: HttpVersion;
  readonly wire: Wire;
  /** Origin of the server, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
}

/** One ping-pong bidi stream: each `ping` sends a message and waits for its echo. */
export interface BidiSession {
  ping(data: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * The calls a benchmark makes, the same on every stack. A stack that cannot
 * make a call (the bare client has no streams) leaves it out.
 */
export interface BenchClient {
  /** Sends `data` in a unary call and resolves with the data of the response. */
  unary(data: Uint8Array): Promise<Uint8Array>;
  /** Reads a whole server stream of `count` messages of `size` bytes; resolves with the bytes received. */
  serverStream?(count: number, size: number): Promise<number>;
  /** Sends the messages in a client stream; resolves with the count the server saw. */
  clientStream?(messages: readonly Uint8Array[]): Promise<number>;
  /** Opens a bidi stream for ping-pong. */
  bidi?(): BidiSession;
  /** Releases connections. */
  close(): Promise<void>;
}

/** The path of a method of the benchmark service. */
export function methodPath(name: "Unary" | "ServerStream" | "ClientStream" | "Bidi"): string {
  return `/bench.v1.BenchService/${name}`;
}

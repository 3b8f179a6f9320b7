import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type OutgoingHttpHeaders,
  connect,
} from "node:http2";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { Code, ConnectError } from "@connect-ts/protocol";
import type { ResolvedOptions } from "./options.js";

/** How a {@link PooledSession} tells its pool that things changed. */
export interface SessionEvents {
  /** The session can take more streams (settings arrived, or a stream ended). */
  onCapacity(session: PooledSession): void;
  /** The session takes no more streams (GOAWAY, error, closed). Called once, or twice if it then closes. */
  onGone(session: PooledSession): void;
}

/**
 * Opens the TCP or TLS connection of a session: TLS offers only `h2` with
 * ALPN, and sends the host name (never an IP address) for SNI.
 */
function openSocket(url: URL, options: ResolvedOptions): Socket {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  if (url.protocol !== "https:") return netConnect({ host, port });
  return tlsConnect({
    host,
    port,
    servername: isIP(host) === 0 ? host : undefined,
    ...options.tls,
    ALPNProtocols: ["h2"],
  });
}

/** The largest stream limit HTTP/2 can express: "no limit". */
const unlimited = 2 ** 32 - 1;

/**
 * One HTTP/2 connection of a pool, with the bookkeeping the pool needs: how
 * many streams it carries, whether the peer's SETTINGS (and so its
 * MAX_CONCURRENT_STREAMS) are known, and whether it still takes new streams.
 * It also runs the keepalive PINGs and the idle timeout, and keeps the process
 * alive only while it carries streams.
 */
export class PooledSession {
  readonly session: ClientHttp2Session;
  /** Streams reserved or open on this session. */
  active = 0;
  /** Streams this session has carried, including the open ones. */
  served = 0;
  /**
   * Streams whose exchange is still under way. Unlike {@link active}, a stream
   * leaves this count as soon as its response has been read, not when Node
   * gets round to closing it: it tells whether the session was idle.
   */
  busy = 0;
  /** Whether the TCP (and TLS) connection was established. */
  connected = false;
  /** The last stream id the peer promised to process, once it sent GOAWAY. */
  goawayLastStreamId: number | undefined;
  /** The session's own error, if it failed. */
  error: unknown;
  /** Settles when the session has closed. */
  readonly closed: Promise<void>;

  #options: ResolvedOptions;
  #events: SessionEvents;
  #socket: Socket | undefined;
  #settled = false;
  #usable = true;
  #isClosed = false;
  #idleTimer: NodeJS.Timeout | undefined;
  /** When the session last became idle (no stream reserved or open), as `Date.now()`. */
  #idleSince = 0;
  #pingTimer: NodeJS.Timeout | undefined;
  #pingDeadline: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;

  constructor(origin: string, options: ResolvedOptions, events: SessionEvents) {
    this.#options = options;
    this.#events = events;
    let socket: Socket | undefined;
    const session = connect(origin, {
      settings: options.settings,
      // Our own socket, so that a connect timeout can destroy it even mid-handshake.
      createConnection: () => {
        socket = openSocket(new URL(origin), options);
        return socket;
      },
    });
    this.session = session;
    this.#socket = socket;
    let onClosed!: () => void;
    this.closed = new Promise((resolve) => {
      onClosed = resolve;
    });
    this.#connectTimer = setTimeout(() => {
      const error = new ConnectError(
        `could not connect to ${origin} within ${options.connectTimeoutMs} ms`,
        Code.Unavailable,
      );
      session.destroy(error);
      socket?.destroy();
    }, options.connectTimeoutMs);
    this.#connectTimer.unref();
    session.on("connect", () => {
      this.connected = true;
      clearTimeout(this.#connectTimer);
      this.#startPings();
    });
    session.on("remoteSettings", () => {
      this.#settled = true;
      this.#events.onCapacity(this);
    });
    session.on("goaway", (_code: number, lastStreamId: number) => {
      this.goawayLastStreamId = lastStreamId;
      this.#retire();
    });
    session.on("error", (error: unknown) => {
      this.error ??= error;
      this.#retire();
    });
    const onClose = () => {
      if (this.#isClosed) return;
      this.#isClosed = true;
      this.#clearTimers();
      this.#retire();
      this.#events.onGone(this);
      session.removeAllListeners("connect");
      session.removeAllListeners("remoteSettings");
      session.removeAllListeners("goaway");
      // An error listener stays: a late error must never become an uncaught exception.
      onClosed();
    };
    session.once("close", onClose);
    // Node does not always emit "close" on a session whose TLS socket failed
    // after the handshake (a refused client certificate): it destroys the
    // session but neither closes the socket nor emits the event. The socket's
    // own events are the backstop, a turn later so that the session's come first.
    const backstop = () => {
      if (this.#isClosed || !session.destroyed) return;
      socket?.destroy();
      onClose();
    };
    socket?.once("close", () => setImmediate(onClose));
    socket?.on("error", (error: unknown) => {
      this.error ??= error;
      setImmediate(backstop);
    });
    // Until it carries a stream, the session must not keep the process alive.
    this.#becameIdle();
  }

  /** Bytes received from the peer so far: tells whether it said anything since some moment. */
  get bytesRead(): number {
    return this.#socket?.bytesRead ?? 0;
  }

  /** Whether the session takes no more streams (it may still carry some). */
  get retired(): boolean {
    return !this.#usable;
  }

  /** Whether the session has closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Whether the peer's SETTINGS have not arrived yet, so its stream limit is unknown. */
  get pending(): boolean {
    return this.#usable && !this.#settled;
  }

  /**
   * How many more streams the session takes now. Before the peer's SETTINGS
   * arrive, one: the stream that opened the connection goes out at once,
   * others wait to learn the limit rather than overrun it.
   */
  get capacity(): number {
    if (!this.#usable || this.session.destroyed || this.session.closed) return 0;
    if (!this.#settled) return this.active === 0 ? 1 : 0;
    const max = this.session.remoteSettings.maxConcurrentStreams ?? unlimited;
    return max - this.active;
  }

  /** Reserves a stream slot; {@link openStream} or {@link release} must follow. */
  reserve(): void {
    // The idle timer stays armed: when it fires it finds the session busy, or
    // idle for less than the timeout, and does not close it.
    if (this.active++ === 0) this.session.ref();
    this.served++;
    this.busy++;
  }

  /**
   * Opens a stream in a reserved slot; `endStream` when the request has no
   * body. Throws if the session can no longer open streams.
   */
  openStream(headers: OutgoingHttpHeaders, endStream: boolean): ClientHttp2Stream {
    try {
      // Node copies and validates an options object on every request, which
      // costs about a sixth of a small call's client CPU. Without one it ends
      // the stream for GET (and HEAD, DELETE) and keeps it open for POST: the
      // object is only needed for a POST without a body.
      return endStream === (headers[":method"] === "GET")
        ? this.session.request(headers)
        : this.session.request(headers, { endStream });
    } catch (error) {
      // Closed, got GOAWAY, or ran out of stream ids: no new streams here.
      this.error ??= error;
      this.#retire();
      if (!this.session.closed) this.session.close();
      throw error;
    }
  }

  /** Frees a slot taken by {@link reserve}, once its stream has closed. */
  release(): void {
    if (--this.active === 0) this.#becameIdle();
    this.#events.onCapacity(this);
  }

  /** Takes no new streams and closes once the open ones have finished. */
  close(): void {
    this.#retire();
    if (!this.session.closed && !this.session.destroyed) {
      // An idle session is unref'd; while closing it must keep the process
      // alive, or `await transport.close()` in a script never settles: the
      // event loop would empty before the session's close is reported.
      this.#closing = true;
      this.session.ref();
      this.session.close();
    }
  }

  /** Set by close(): the session is closing and must keep the process alive until it has. */
  #closing = false;

  #retire(): void {
    if (!this.#usable) return;
    this.#usable = false;
    this.#events.onGone(this);
  }

  #becameIdle(): void {
    // A closing session stays ref'd until it has closed (see close()).
    if (this.#isClosed || this.#closing) return;
    this.session.unref();
    this.#idleSince = Date.now();
    // One timer per idle period at most, not one per call: with one call at a
    // time the session becomes idle after every call.
    if (this.#idleTimer === undefined) this.#armIdleTimer(this.#options.idleTimeoutMs);
  }

  #armIdleTimer(ms: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.active > 0 || this.#isClosed) return; // busy again: re-armed when idle
      const left = this.#idleSince + this.#options.idleTimeoutMs - Date.now();
      if (left > 0) this.#armIdleTimer(left);
      else this.close();
    }, ms);
    this.#idleTimer.unref();
  }

  #startPings(): void {
    const interval = this.#options.pingIntervalMs;
    if (interval <= 0) return;
    this.#pingTimer = setInterval(() => this.#ping(), interval);
    this.#pingTimer.unref();
  }

  #ping(): void {
    if (this.#pingDeadline !== undefined) return; // one PING at a time
    if (this.active === 0 && !this.#options.pingIdle) return;
    if (this.session.destroyed || this.session.closed) return;
    const timeoutMs = this.#options.pingTimeoutMs;
    let sent = false;
    try {
      sent = this.session.ping(() => {
        // Answered, or cancelled because the session is going away: either way, done.
        clearTimeout(this.#pingDeadline);
        this.#pingDeadline = undefined;
      });
    } catch {
      return;
    }
    if (!sent) return;
    this.#pingDeadline = setTimeout(() => {
      this.#pingDeadline = undefined;
      this.session.destroy(
        new ConnectError(`keepalive PING not answered within ${timeoutMs} ms`, Code.Unavailable),
      );
    }, timeoutMs);
    this.#pingDeadline.unref();
  }

  #clearTimers(): void {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#idleTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pingDeadline);
    this.#idleTimer = undefined;
    this.#pingTimer = undefined;
    this.#pingDeadline = undefined;
  }
}

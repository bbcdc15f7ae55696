// A local HTTP server standing in for paymux: it records every request (headers, body, which
// connection it came on) and answers from a script, or closes the connection without answering.
import http from "node:http";

export const CLOSE = Symbol("close the connection without answering");
export const HANG = Symbol("never answer");
export const CUT = Symbol("send the status line and half a body, then close");

export class FakePaymux {
  /** `script(request, index)` → {status, headers, body} | CLOSE; index counts every request. */
  constructor(script) {
    this.script = script;
    this.requests = [];
    this.connections = 0;
    const sockets = new WeakMap();
    this.server = http.createServer((req, res) => {
      if (!sockets.has(req.socket)) sockets.set(req.socket, { id: (this.connections += 1), served: 0 });
      const connection = sockets.get(req.socket);
      connection.served += 1;
      const chunks = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        const request = {
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks),
          connection: connection.id,
          onConnection: connection.served,
        };
        this.requests.push(request);
        const answer = this.script(request, this.requests.length - 1);
        if (answer === HANG) return;
        if (answer === CUT) {
          res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "100" });
          res.write('{"id":"pay_');
          setImmediate(() => req.socket.destroy());
          return;
        }
        if (answer === CLOSE) {
          req.socket.destroy();
          return;
        }
        const body = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {});
        res.writeHead(answer.status ?? 200, { "Content-Type": "application/json", ...(answer.headers ?? {}) });
        res.end(body);
      });
    });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** paymux's error body. */
export const failure = (status, code, headers = {}) => ({
  status,
  headers,
  body: { error: { code, message: `${code} happened`, request_id: "req-1" } },
});

/** Parses an Authorization header into its four pairs. */
export function authPairs(header) {
  const pairs = {};
  for (const match of header.matchAll(/(\w+)="([^"]*)"/g)) pairs[match[1]] = match[2];
  return pairs;
}

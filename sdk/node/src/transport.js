// One signed HTTP exchange with paymux, retried exactly when that is safe.
import http from "node:http";
import https from "node:https";
import { randomUUID } from "node:crypto";

import { ApiError, ConnectionError, errorFromResponse } from "./errors.js";
import { DEFAULT_MAX_RETRIES, retryDelay, shouldRetryResponse } from "./retries.js";
import { authorization } from "./signing.js";
import { VERSION } from "./version.js";

export const DEFAULT_BASE_URL = "https://api.paymux.cn";
export const DEFAULT_TIMEOUT = 30_000; // milliseconds, per attempt
export const USER_AGENT = `paymux-node/${VERSION} node/${process.versions.node}`;
// A reused keep-alive socket that the server (or a NAT, or a frozen Lambda's peer) already closed
// fails like this before any byte of the answer arrives.
const CLOSED_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

const sleepFor = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

export class Transport {
  constructor({ appId, secret, baseUrl, maxRetries, timeout, sleep, random, now }) {
    this.appId = appId;
    this.secret = secret;
    this.baseUrl = new URL(baseUrl ?? process.env.PAYMUX_BASE_URL ?? DEFAULT_BASE_URL);
    if (!["http:", "https:"].includes(this.baseUrl.protocol)) throw new TypeError("baseUrl must be http(s)");
    this.maxRetries = maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!Number.isInteger(this.maxRetries) || this.maxRetries < 0) throw new TypeError("maxRetries must be an integer ≥ 0");
    this.timeout = timeout ?? DEFAULT_TIMEOUT;
    if (!(Number.isFinite(this.timeout) && this.timeout > 0)) throw new TypeError("timeout must be a number of milliseconds > 0");
    this.sleep = sleep ?? sleepFor;
    this.random = random ?? Math.random;
    this.now = now ?? (() => Date.now() / 1000);
    const module = this.baseUrl.protocol === "https:" ? https : http;
    this.module = module;
    this.agent = new module.Agent({ keepAlive: true });
  }

  /** `path` is paymux's path ("/v1/payments/pay_…"), `query` a string already encoded. */
  async request(method, path, { params, query = "", idempotencyKey } = {}) {
    const body = params === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(params), "utf8");
    // an empty key is "none given": a POST gets a generated one, a GET none
    const key = method === "POST" ? idempotencyKey || randomUUID() : idempotencyKey || undefined;
    const prefix = this.baseUrl.pathname.replace(/\/+$/, "");
    const target = `${prefix}${path}${query ? `?${query}` : ""}`;
    const signedPath = `${decodeURIComponent(`${prefix}${path}`)}${query ? `?${query}` : ""}`;
    let retries = 0;
    let staleRetried = false;
    for (;;) {
      const headers = this.headers(method, signedPath, body, key);
      let answer;
      try {
        answer = await this.exchange(method, target, headers, body);
      } catch (error) {
        if (!(error instanceof ConnectionError)) throw error;
        if (error.stale && !staleRetried) {
          staleRetried = true; // once, at once, on a fresh socket, whatever maxRetries says
          this.dropIdleSockets();
          continue;
        }
        if (retries >= this.maxRetries) throw error;
        retries += 1;
        await this.sleep(retryDelay(retries, undefined, this.random));
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return parseJson(answer);
      const error = errorFromResponse(answer.status, answer.body, answer.headers);
      if (retries >= this.maxRetries || !shouldRetryResponse(answer.status, answer.headers)) throw error;
      retries += 1;
      await this.sleep(retryDelay(retries, answer.headers["retry-after"], this.random));
    }
  }

  headers(method, signedPath, body, idempotencyKey) {
    const headers = {
      Authorization: authorization(this.appId, this.secret, method, signedPath, body, {
        timestamp: Math.floor(this.now()),
      }),
      Accept: "application/json",
      "User-Agent": USER_AGENT,
      "Content-Length": String(body.length),
    };
    if (body.length) headers["Content-Type"] = "application/json";
    if (idempotencyKey !== undefined) headers["Idempotency-Key"] = idempotencyKey;
    return headers;
  }

  /** One attempt: the answer, or ConnectionError (`stale` when a reused socket closed before any
   * byte of the answer). */
  exchange(method, target, headers, body) {
    return new Promise((resolve, reject) => {
      const url = new URL(target, this.baseUrl);
      const request = this.module.request(url, { method, headers, agent: this.agent });
      let answered = false;
      const timer = setTimeout(() => {
        request.destroy(Object.assign(new Error(`no answer within ${this.timeout} ms`), { code: "ETIMEDOUT" }));
      }, this.timeout);
      const fail = (error) => {
        clearTimeout(timer);
        const stale = request.reusedSocket && !answered && CLOSED_CODES.has(error.code);
        const failure = new ConnectionError(`could not reach paymux: ${error.message}`, { code: "connection_error", cause: error });
        failure.stale = Boolean(stale);
        reject(failure);
      };
      request.on("error", fail);
      request.on("response", (response) => {
        answered = true;
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("error", fail);
        response.on("close", () => {
          if (!response.complete) fail(Object.assign(new Error("the answer was cut off"), { code: "ECONNRESET" }));
        });
        response.on("end", () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) });
        });
      });
      request.end(body);
    });
  }

  dropIdleSockets() {
    // after a freeze every pooled socket is as stale as the one that failed
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets) socket.destroy();
  }

  close() {
    this.agent.destroy();
  }
}

function parseJson(answer) {
  try {
    return JSON.parse(answer.body.toString("utf8"));
  } catch (error) {
    throw new ApiError("paymux's answer is not JSON", { status: answer.status, code: "invalid_response", headers: answer.headers, cause: error });
  }
}

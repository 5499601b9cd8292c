// Every request the console makes, in one place: paths and shapes follow OpenAI's API
// (files, fine_tuning/jobs, chat/completions) plus Lorekeeper's /admin routes.
import { readEventStream } from "./sse.js";

const ADMIN_KEY = "lorekeeper.adminKey";
const API_KEY = "lorekeeper.apiKey";

/** An HTTP or network failure, with the server's OpenAI-shaped error when it sent one. */
export class ApiError extends Error {
  constructor(status, message, { type = null, code = null, param = null } = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }
}

export const keys = {
  get admin() { return sessionStorage.getItem(ADMIN_KEY) || ""; },
  get api() { return sessionStorage.getItem(API_KEY) || ""; },
  save(admin, api) {
    for (const [name, value] of [[ADMIN_KEY, admin], [API_KEY, api]]) {
      if (value) sessionStorage.setItem(name, value); else sessionStorage.removeItem(name);
    }
  },
};

function headers(auth, extra = {}) {
  const key = auth === "admin" ? keys.admin : keys.api;
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

/** The error a non-2xx response carries: `{"error":{"message","type","param","code"}}`, else its status line. */
async function errorFrom(response) {
  let text = "";
  try { text = await response.text(); } catch { /* the body is gone: the status says enough */ }
  try {
    const e = JSON.parse(text).error;
    if (e && e.message) return new ApiError(response.status, e.message, e);
  } catch { /* not JSON */ }
  return new ApiError(response.status, `${response.status} ${response.statusText || "error"}${text ? ": " + text.slice(0, 200) : ""}`);
}

async function send(method, path, { auth = "admin", body, signal } = {}) {
  const init = { method, headers: headers(auth), signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, `Cannot reach the server (${method} ${path}): ${e.message}`);
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

const json = async (method, path, options) => (await send(method, path, options)).json();
const id = encodeURIComponent;

// Chat (the API key, when the server has one).

export const listModels = () => json("GET", "/v1/models", { auth: "api" });

/** Streams a chat completion; onChunk gets each parsed chunk. Resolves when the stream ends. */
export async function streamChat(request, onChunk, signal) {
  const response = await send("POST", "/v1/chat/completions", { auth: "api", body: { ...request, stream: true }, signal });
  let failure = null;
  await readEventStream(response, ({ data }) => {
    if (data === "[DONE]" || failure) return;
    const chunk = JSON.parse(data);
    if (chunk.error) failure = new ApiError(response.status, chunk.error.message || "the stream failed", chunk.error);
    else onChunk(chunk);
  });
  if (failure) throw failure;
}

// Files.

export const listFiles = () => json("GET", "/v1/files");
export const deleteFile = (fileId) => json("DELETE", `/v1/files/${id(fileId)}`);

/** Uploads with XMLHttpRequest, whose upload events report progress (fetch has none). */
export function uploadFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/files");
    for (const [k, v] of Object.entries(headers("admin"))) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* handled below */ }
      if (xhr.status >= 200 && xhr.status < 300 && body) return resolve(body);
      const e = body && body.error;
      reject(e && e.message ? new ApiError(xhr.status, e.message, e)
        : new ApiError(xhr.status, `${xhr.status} ${xhr.statusText || "upload failed"}`));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, `Cannot reach the server to upload ${file.name}`)));
    const form = new FormData();
    form.append("purpose", "fine-tune");
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

// Fine-tuning jobs.

export const listJobs = (limit = 50) => json("GET", `/v1/fine_tuning/jobs?limit=${limit}`);
export const getJob = (jobId) => json("GET", `/v1/fine_tuning/jobs/${id(jobId)}`);
export const createJob = (body) => json("POST", "/v1/fine_tuning/jobs", { body });
export const cancelJob = (jobId) => json("POST", `/v1/fine_tuning/jobs/${id(jobId)}/cancel`);
export const jobEvents = (jobId) => json("GET", `/v1/fine_tuning/jobs/${id(jobId)}/events?limit=1000`);

/** The job's past then live events (`status`, `progress`, `validation`) until it ends or `signal` aborts. */
export async function streamJob(jobId, onEvent, signal) {
  const response = await send("GET", `/admin/jobs/${id(jobId)}/stream`, { signal });
  await readEventStream(response, ({ event, data }) => onEvent(event, JSON.parse(data)));
}

// Adapters.

export const listAdapters = () => json("GET", "/admin/adapters");
export const activateVersion = (name, version) => json("POST", `/admin/adapters/${id(name)}/activate`, { body: { version } });
export const rollBack = (name) => json("POST", `/admin/adapters/${id(name)}/rollback`);
export const deleteVersion = (name, version) => json("DELETE", `/admin/adapters/${id(name)}/versions/${version}`);

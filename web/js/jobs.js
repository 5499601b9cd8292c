// The jobs panel: the list of fine-tuning jobs and, for the chosen one, live progress from its event stream.
import { cancelJob, listJobs, streamJob } from "./api.js";
import { drawLossChart } from "./chart.js";
import { $, el, formatDate, formatDuration, formatNumber } from "./dom.js";
import { emit } from "./events.js";
import { confirmAction, showError } from "./notices.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const MAX_EVENT_LINES = 300;
let jobs = [];
let watched = null; // { job, controller, train, valid, totalSteps, pending }

export function setUpJobs() {
  $("#jobs-refresh").addEventListener("click", loadJobs);
  $("#job-cancel").addEventListener("click", cancelWatched);
  // The chart is drawn at its box's width (readable labels on a phone): redraw when that changes,
  // a frame later, so that the redraw's own size change is not reported inside this callback.
  let width = 0;
  new ResizeObserver(([entry]) => {
    const now = Math.round(entry.contentRect.width);
    if (now === width || !watched) return;
    width = now;
    scheduleRedraw(watched);
  }).observe($("#loss-chart"));
}

export async function loadJobs() {
  try {
    jobs = (await listJobs()).data;
  } catch (e) {
    showError("Loading the jobs", e);
    return;
  }
  renderList();
  if (!watched && jobs.length) watch(jobs[0]);
}

/** Shows `job` and follows its stream (past events first, then live ones). */
export function watch(job) {
  if (watched) watched.controller.abort();
  const state = { job, controller: new AbortController(), train: [], valid: [], totalSteps: job.progress ? job.progress.total_steps : 0, pending: null };
  watched = state;
  if (!jobs.some((j) => j.id === job.id)) jobs.unshift(job);
  renderList();
  $("#job-detail").hidden = false;
  $("#job-title").textContent = `Job ${job.id}`;
  $("#job-events").replaceChildren();
  for (const id of ["#job-step", "#job-loss", "#job-tps", "#job-eta"]) $(id).textContent = "–";
  $("#job-progress").value = 0;
  setStatus(state, job.status, job.error, job.fine_tuned_model);
  redraw(state);
  follow(state);
}

async function follow(state) {
  const wasRunning = !TERMINAL.has(state.job.status);
  try {
    await streamJob(state.job.id, (event, data) => {
      if (watched !== state) return;
      handle(state, event, data);
    }, state.controller.signal);
  } catch (e) {
    if (watched === state) showError(`Following job ${state.job.id}`, e);
    return;
  }
  if (watched !== state) return;
  renderList();
  if (wasRunning && TERMINAL.has(state.job.status)) emit("job-finished", state.job);
}

function handle(state, event, data) {
  if (event === "status") {
    setStatus(state, data.status, data.error, data.fine_tuned_model);
    log(`status: ${data.status}${data.error ? " — " + data.error.message : ""}`);
  } else if (event === "progress") {
    state.totalSteps = data.total_steps || state.totalSteps;
    $("#job-progress").max = state.totalSteps || 1;
    $("#job-progress").value = data.step;
    $("#job-step").textContent = `${data.step} / ${state.totalSteps || "?"}${data.epoch !== undefined ? ` (epoch ${formatNumber(data.epoch, 1)})` : ""}`;
    $("#job-loss").textContent = formatNumber(data.loss, 4);
    $("#job-tps").textContent = formatNumber(data.tokens_per_second, 0);
    $("#job-eta").textContent = formatDuration(data.eta_seconds);
    if (Number.isFinite(data.loss)) state.train.push({ step: data.step, loss: data.loss });
    scheduleRedraw(state);
  } else if (event === "validation") {
    if (Number.isFinite(data.loss)) state.valid.push({ step: data.step, loss: data.loss });
    log(`validation loss at step ${data.step}: ${formatNumber(data.loss, 4)}`);
    scheduleRedraw(state);
  }
}

function setStatus(state, status, error, model) {
  state.job.status = status;
  if (model) state.job.fine_tuned_model = model;
  const badge = $("#job-status");
  badge.textContent = status;
  badge.className = `badge ${status}`;
  $("#job-model").textContent = state.job.fine_tuned_model ? `→ ${state.job.fine_tuned_model}` : `→ ${state.job.adapter || state.job.suffix || ""}`;
  $("#job-cancel").hidden = TERMINAL.has(status);
  const failure = $("#job-error");
  const message = error && (error.message || String(error));
  failure.hidden = !(status === "failed" && message);
  failure.textContent = message ? `Failed: ${message}` : "";
  if (status === "succeeded" && state.totalSteps) $("#job-progress").value = $("#job-progress").max;
}

function scheduleRedraw(state) {
  state.pending = state.pending || requestAnimationFrame(() => { state.pending = null; redraw(state); });
}

function redraw(state) {
  drawLossChart($("#loss-chart"), state.train, state.valid, state.totalSteps);
}

function log(text) {
  const list = $("#job-events");
  list.append(el("li", {}, `${new Date().toLocaleTimeString()} ${text}`));
  while (list.children.length > MAX_EVENT_LINES) list.firstElementChild.remove();
}

async function cancelWatched() {
  if (!watched) return;
  const state = watched;
  if (!await confirmAction(`Cancel job ${state.job.id}? The steps done so far are discarded.`, "Cancel job")) return;
  try {
    const job = await cancelJob(state.job.id);
    setStatus(state, job.status, job.error, job.fine_tuned_model);
  } catch (e) {
    showError(`Cancelling job ${state.job.id}`, e);
  }
}

function renderList() {
  $("#jobs-empty").hidden = jobs.length > 0;
  // The watched job's copy is the one its stream keeps up to date.
  const current = (job) => (watched && watched.job.id === job.id ? watched.job : job);
  $("#jobs-list").replaceChildren(...jobs.map(current).map((job) => el("li", {},
    el("button", { type: "button", "aria-current": watched && watched.job.id === job.id ? "true" : "false", onclick: () => watch(job) },
      el("span", {}, el("strong", {}, job.adapter || job.suffix || job.id), " ", el("span", { class: "hint" }, formatDate(job.created_at))),
      el("span", { class: `badge ${job.status}` }, job.status)))));
}

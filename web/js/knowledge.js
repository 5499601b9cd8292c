// The knowledge panel: upload training files (with progress), list them, start a fine-tune.
import { createJob, deleteFile, listFiles, uploadFile } from "./api.js";
import { $, el, formatBytes, formatDate } from "./dom.js";
import { emit, on } from "./events.js";
import { baseModelId } from "./models.js";
import { confirmAction, showError } from "./notices.js";

const EXTENSIONS = [".txt", ".md", ".jsonl"];
const TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
let files = [];
let adapters = [];

export function setUpKnowledge() {
  const zone = $("#drop-zone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    uploadAll([...e.dataTransfer.files]);
  });
  $("#file-input").addEventListener("change", (e) => {
    uploadAll([...e.target.files]);
    e.target.value = "";
  });
  $("#targets").append(...TARGETS.map((t) => el("div", { class: "field check" },
    el("input", { type: "checkbox", id: `target-${t}`, value: t, checked: true }),
    el("label", { for: `target-${t}` }, t))));
  $("#adapter-target").addEventListener("change", showAdapterFields);
  $("#job-form").addEventListener("submit", (e) => { e.preventDefault(); startJob(); });
  on("adapters-changed", (list) => { adapters = list; fillAdapterTargets(); });
  fillAdapterTargets();
}

export async function loadFiles() {
  try {
    files = (await listFiles()).data;
  } catch (e) {
    showError("Loading the files", e);
    return;
  }
  files.sort((a, b) => b.created_at - a.created_at);
  renderFiles();
}

async function uploadAll(chosen) {
  for (const file of chosen) {
    if (!EXTENSIONS.some((x) => file.name.toLowerCase().endsWith(x))) {
      showError(`Uploading ${file.name}`, new Error(`only ${EXTENSIONS.join(", ")} files can be used for training`));
      continue;
    }
    const bar = el("progress", { max: 1, value: 0, "aria-label": `Upload of ${file.name}` });
    const status = el("span", { class: "hint" }, formatBytes(file.size));
    const row = el("li", {}, el("span", {}, file.name), bar, status);
    $("#uploads").append(row);
    try {
      const uploaded = await uploadFile(file, (fraction) => { bar.value = fraction; });
      bar.value = 1;
      status.textContent = `uploaded as ${uploaded.id}`;
    } catch (e) {
      status.textContent = "failed";
      status.className = "error-text";
      showError(`Uploading ${file.name}`, e);
    }
  }
  await loadFiles();
}

function renderFiles() {
  $("#files-empty").hidden = files.length > 0;
  $("#files-table tbody").replaceChildren(...files.map((f) => el("tr", { "data-file-id": f.id },
    el("td", {}, f.filename, el("br"), el("span", { class: "hint mono" }, f.id)),
    el("td", {}, formatBytes(f.bytes)),
    el("td", { class: "mono", title: f.sha256 || "" }, f.sha256 ? f.sha256.slice(0, 12) + "…" : "–"),
    el("td", {}, f.examples ?? "–"),
    el("td", {}, formatDate(f.created_at)),
    el("td", {}, el("button", { type: "button", class: "danger", "aria-label": `Delete ${f.filename}`, onclick: () => removeFile(f) }, "Delete")))));
  for (const [select, empty] of [[$("#training-file"), null], [$("#validation-file"), "None"]]) {
    const previous = select.value;
    const options = files.map((f) => new Option(`${f.filename} (${f.id})`, f.id));
    select.replaceChildren(...(empty ? [new Option(empty, "")] : []), ...options);
    if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  }
}

async function removeFile(file) {
  if (!await confirmAction(`Delete ${file.filename} (${file.id})? Jobs that used it keep their adapters.`, "Delete file")) return;
  try {
    await deleteFile(file.id);
  } catch (e) {
    showError(`Deleting ${file.filename}`, e);
  }
  await loadFiles();
}

function fillAdapterTargets() {
  const select = $("#adapter-target");
  const previous = select.value;
  select.replaceChildren(new Option("New adapter…", ""), ...adapters.map((a) => new Option(a.name, a.name)));
  if (adapters.some((a) => a.name === previous)) select.value = previous;
  showAdapterFields();
}

/** A new adapter needs a name; an existing one a parent version (its active one unless chosen). */
function showAdapterFields() {
  const adapter = adapters.find((a) => a.name === $("#adapter-target").value);
  $("#new-adapter-field").hidden = Boolean(adapter);
  $("#parent-version-field").hidden = !adapter;
  $("#adapter-name").required = !adapter;
  $("#replay").disabled = !adapter;
  if (!adapter) return;
  const versions = [...(adapter.versions || [])].sort((a, b) => b.version - a.version);
  $("#parent-version").replaceChildren(...versions.map((v) =>
    new Option(`v${v.version}${v.active ? " (active)" : ""}`, String(v.version), v.active, v.active)));
}

function optionalNumber(selector, parse) {
  const raw = $(selector).value.trim();
  const value = raw === "" ? undefined : parse(raw);
  return Number.isFinite(value) ? value : undefined;
}

async function startJob() {
  const form = $("#job-form");
  if (!form.reportValidity()) return;
  const adapter = adapters.find((a) => a.name === $("#adapter-target").value);
  const name = adapter ? adapter.name : $("#adapter-name").value.trim();
  const targets = TARGETS.filter((t) => $(`#target-${t}`).checked);
  if (!targets.length) return showError("Starting the fine-tune", new Error("choose at least one target projection"));
  const hyperparameters = {
    n_epochs: optionalNumber("#epochs", (v) => parseInt(v, 10)),
    learning_rate_multiplier: optionalNumber("#lr-multiplier", parseFloat),
  };
  const body = {
    model: adapter ? `${name}@${$("#parent-version").value}` : baseModelId(),
    training_file: $("#training-file").value,
    suffix: name,
    hyperparameters,
    lora: {
      rank: optionalNumber("#rank", (v) => parseInt(v, 10)),
      alpha: optionalNumber("#alpha", parseFloat),
      targets,
      replay_fraction: adapter ? optionalNumber("#replay", parseFloat) ?? 1 : 0,
      auto_activate: $("#auto-activate").checked,
    },
  };
  if ($("#validation-file").value) body.validation_file = $("#validation-file").value;
  const seed = optionalNumber("#seed", (v) => parseInt(v, 10));
  if (seed !== undefined) body.seed = seed;
  $("#start-job").disabled = true;
  try {
    emit("job-created", await createJob(body));
  } catch (e) {
    showError("Starting the fine-tune", e);
  } finally {
    $("#start-job").disabled = false;
  }
}

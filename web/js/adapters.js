// The adapters panel: each adapter's versions as a lineage tree (parent → child), with
// metrics, training files and dates; activate, roll back and delete, each after a confirmation.
import { activateVersion, deleteVersion, listAdapters, rollBack } from "./api.js";
import { $, el, formatDate, formatDuration, formatNumber } from "./dom.js";
import { emit } from "./events.js";
import { confirmAction, showError } from "./notices.js";

let adapters = [];

export function setUpAdapters() {
  $("#adapters-refresh").addEventListener("click", loadAdapters);
}

export async function loadAdapters() {
  try {
    adapters = (await listAdapters()).data;
  } catch (e) {
    showError("Loading the adapters", e);
    return;
  }
  render();
  emit("adapters-changed", adapters);
}

function replace(updated) {
  adapters = adapters.map((a) => (a.name === updated.name ? updated : a));
  render();
  emit("adapters-changed", adapters);
}

function render() {
  $("#adapters-empty").hidden = adapters.length > 0;
  $("#adapters-list").replaceChildren(...adapters.map(card));
}

function card(adapter) {
  const versions = adapter.versions || [];
  const active = versions.find((v) => v.active);
  return el("article", { class: "adapter", "data-adapter": adapter.name, "aria-labelledby": `adapter-${adapter.name}` },
    el("div", { class: "row spread" },
      el("h3", { id: `adapter-${adapter.name}` }, adapter.name),
      el("button", { type: "button", disabled: !active, onclick: () => rollBackAdapter(adapter) }, "Roll back")),
    el("p", { class: "hint" }, `on ${adapter.base_model} · active: ${adapter.active_version ? "v" + adapter.active_version : "none"} · created ${formatDate(adapter.created_at)}`),
    adapter.description ? el("p", {}, adapter.description) : null,
    lineage(adapter, versions));
}

/** Versions nested under their parents; a version whose parent is gone starts a tree of its own. */
function lineage(adapter, versions) {
  const numbers = new Set(versions.map((v) => v.version));
  const children = (parent) => versions
    .filter((v) => (parent === null ? v.parent_version == null || !numbers.has(v.parent_version) : v.parent_version === parent))
    .sort((a, b) => a.version - b.version);
  const tree = (parent) => {
    const level = children(parent);
    return level.length ? el("ul", {}, level.map((v) => el("li", {}, versionView(adapter, v), tree(v.version)))) : null;
  };
  const root = tree(null);
  if (root) root.className = "lineage";
  return root;
}

function versionView(adapter, v) {
  const m = v.metrics || {};
  return el("div", { class: v.active ? "version active" : "version", "data-version": v.version },
    el("div", { class: "row spread" },
      el("span", {}, el("strong", {}, `v${v.version}`), " ",
        el("span", { class: "mono" }, v.model || `${adapter.name}@${v.version}`),
        v.parent_version != null ? el("span", { class: "hint" }, ` from v${v.parent_version}`) : null,
        v.active ? el("span", { class: "active-marker" }, " ● active") : null),
      el("span", { class: "row" },
        el("button", { type: "button", disabled: v.active, onclick: () => activate(adapter, v) }, "Activate"),
        el("button", { type: "button", class: "danger", disabled: v.active, title: v.active ? "The active version cannot be deleted" : null, onclick: () => remove(adapter, v) }, "Delete"))),
    el("div", { class: "meta" },
      `train loss ${formatNumber(m.train_loss)} · validation loss ${formatNumber(m.valid_loss)} · ${m.tokens ?? "–"} tokens · ${formatDuration(m.seconds)}`),
    el("div", { class: "meta" },
      `files: ${(v.training_files || []).join(", ") || "–"} · ${formatDate(v.created_at)}${v.job_id ? " · " + v.job_id : ""}`));
}

async function activate(adapter, v) {
  if (!await confirmAction(`Serve ${adapter.name}@${v.version} as ${adapter.name}? Requests already running finish on their version.`, "Activate")) return;
  try {
    replace(await activateVersion(adapter.name, v.version));
  } catch (e) {
    showError(`Activating ${adapter.name}@${v.version}`, e);
  }
}

async function rollBackAdapter(adapter) {
  if (!await confirmAction(`Roll ${adapter.name} back from v${adapter.active_version} to the version before it?`, "Roll back")) return;
  try {
    replace(await rollBack(adapter.name));
  } catch (e) {
    showError(`Rolling back ${adapter.name}`, e);
  }
}

async function remove(adapter, v) {
  if (!await confirmAction(`Delete ${adapter.name}@${v.version} for good? Its files are removed.`, "Delete version")) return;
  try {
    await deleteVersion(adapter.name, v.version);
  } catch (e) {
    showError(`Deleting ${adapter.name}@${v.version}`, e);
  }
  await loadAdapters();
}

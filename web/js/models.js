// The model pickers: the base model, each adapter (its active version) and every pinned NAME@VERSION.
import { listAdapters, listModels, keys } from "./api.js";
import { $, el } from "./dom.js";
import { showError } from "./notices.js";

const pickers = () => [$("#model-a"), $("#model-b")];
let baseModel = "";

/** The base model's id, once /v1/models has answered. */
export const baseModelId = () => baseModel;

/** Reloads /v1/models (and, with the admin key, each adapter's active version) into both pickers. */
export async function refreshModels() {
  let models, adapters = [];
  try {
    models = (await listModels()).data;
  } catch (e) {
    showError("Loading the models", e);
    return;
  }
  if (keys.admin) {
    // Only for the "active vN" labels: without it the pickers still work.
    try { adapters = (await listAdapters()).data; } catch { adapters = []; }
  }
  const active = new Map(adapters.map((a) => [a.name, a.active_version]));
  const bases = models.filter((m) => !m.parent);
  baseModel = bases.length ? bases[0].id : "";
  const named = models.filter((m) => m.parent && !m.id.includes("@"));
  const pinned = models.filter((m) => m.parent && m.id.includes("@"));
  for (const select of pickers()) {
    const previous = select.value;
    const groups = [
      el("optgroup", { label: "Base model" }, bases.map((m) => new Option(m.id, m.id))),
      named.length && el("optgroup", { label: "Adapters (active version)" }, named.map((m) => {
        const v = active.get(m.id);
        return new Option(v === undefined || v === null ? m.id : `${m.id} — active v${v}`, m.id);
      })),
      pinned.length && el("optgroup", { label: "Pinned versions" }, pinned.map((m) => new Option(m.id, m.id))),
    ].filter(Boolean);
    select.replaceChildren(...groups);
    if (models.some((m) => m.id === previous)) select.value = previous;
  }
}

// Starts the console: tabs, keys, and the panels, which load their data when first shown.
import { keys } from "./api.js";
import { loadAdapters, setUpAdapters } from "./adapters.js";
import { setUpChat } from "./chat.js";
import { $ } from "./dom.js";
import { on } from "./events.js";
import { loadJobs, setUpJobs, watch } from "./jobs.js";
import { loadFiles, setUpKnowledge } from "./knowledge.js";
import { refreshModels } from "./models.js";
import { clearErrors, showError } from "./notices.js";

const TABS = ["chat", "knowledge", "jobs", "adapters"];
// The admin panels' data, loaded each time the panel is shown (the data may have changed meanwhile).
const LOADERS = { knowledge: () => Promise.all([loadFiles(), loadAdapters()]), jobs: loadJobs, adapters: loadAdapters };

function showTab(name) {
  for (const tab of TABS) {
    const button = $(`#tab-${tab}`);
    const selected = tab === name;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`#panel-${tab}`).hidden = !selected;
  }
  if (!LOADERS[name]) return;
  if (!keys.admin) {
    showError(`The ${name} panel`, new Error("it needs the admin key: open Keys (top right) and enter it"));
    $("#keys").open = true;
    $("#admin-key").focus();
    return;
  }
  LOADERS[name]();
}

const currentTab = () => TABS.find((t) => $(`#tab-${t}`).getAttribute("aria-selected") === "true");

function setUpTabs() {
  TABS.forEach((tab, i) => {
    const button = $(`#tab-${tab}`);
    button.addEventListener("click", () => showTab(tab));
    // Arrow keys move between tabs (WAI-ARIA tabs pattern); Tab moves on into the panel.
    button.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      const next = TABS[(i + step + TABS.length) % TABS.length];
      showTab(next);
      $(`#tab-${next}`).focus();
    });
  });
}

function setUpKeys() {
  $("#admin-key").value = keys.admin;
  $("#api-key").value = keys.api;
  $("#keys-form").addEventListener("submit", (e) => {
    e.preventDefault();
    keys.save($("#admin-key").value.trim(), $("#api-key").value.trim());
    $("#keys").open = false;
    clearErrors();
    refreshModels();
    showTab(currentTab());
  });
  $("#keys-clear").addEventListener("click", () => {
    keys.save("", "");
    $("#admin-key").value = "";
    $("#api-key").value = "";
  });
}

setUpTabs();
setUpKeys();
setUpChat();
setUpKnowledge();
setUpJobs();
setUpAdapters();
on("adapters-changed", refreshModels);
on("job-created", (job) => { showTab("jobs"); watch(job); });
on("job-finished", () => { if (keys.admin) loadAdapters(); });
refreshModels();

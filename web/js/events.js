// Panels tell each other what changed (files, adapters, jobs) without importing each other.
const bus = new EventTarget();

export const emit = (name, detail) => bus.dispatchEvent(new CustomEvent(name, { detail }));
export const on = (name, handler) => bus.addEventListener(name, (e) => handler(e.detail));

// Small DOM helpers: elements built with text nodes only (never innerHTML), so no value from the API can become markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let ids = 0;
export const uid = (prefix) => `${prefix}-${++ids}`;

/** A card with a heading; returns the card, its body is filled by the caller. */
export function card(title, ...children) {
  const id = uid('heading');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** A labelled input. */
export function field(label, attributes = {}) {
  const id = attributes.id || uid('field');
  const input = attributes.tag === 'select'
    ? h('select', { id, name: attributes.name }, ...(attributes.options || []).map((o) => h('option', { value: o }, o)))
    : h('input', { id, type: 'text', autocomplete: 'off', ...attributes, tag: undefined });
  return { input, element: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

/** The place next to an action where its outcome is told, in words. */
export function status() {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

/**
 * Runs an action for a button: disabled while it runs, its error (or success text) told in `where`.
 * Returns what the action returned, or undefined when it failed.
 */
export async function act(button, where, action, success) {
  button.disabled = true;
  where.textContent = '';
  where.classList.remove('error');
  try {
    const result = await action();
    if (success) where.textContent = typeof success === 'function' ? success(result) : success;
    return result;
  } catch (e) {
    where.textContent = e.message;
    where.classList.add('error');
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** A table of rows; `columns` are [heading, row => cell, 'num'?]; an empty list says so. */
export function table(columns, rows, empty = 'Nothing yet') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, columns.map(([title, , kind]) => h('th', { scope: 'col', class: kind }, title)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell, kind]) => h('td', { class: kind }, cell(row))))))));
}

/** A secret shown once: the value of a read-only field (never an attribute, so not in the markup), with Copy. */
export function secretNotice(label, value, text) {
  const shown = h('input', { type: 'text', readonly: true, 'aria-label': label, class: 'secret' });
  shown.value = value;
  const copy = h('button', { type: 'button' }, 'Copy');
  const copied = status();
  copy.addEventListener('click', () => act(copy, copied, () => navigator.clipboard.writeText(shown.value), 'Copied'));
  return h('div', { class: 'notice' }, h('p', {}, text), h('div', { class: 'row' }, shown, copy), copied);
}

export const loading = () => h('p', { class: 'loading' }, 'Loading…');

/** Replaces the content of `slot` with what `render` resolves to; tells a failure there. */
export async function fill(slot, render) {
  slot.replaceChildren(loading());
  try {
    slot.replaceChildren(await render());
  } catch (e) {
    slot.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

/** Calls `fn` once typing has paused for `ms`. */
export function debounce(fn, ms = 300) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

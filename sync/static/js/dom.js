// Tiny DOM builder. Text always goes in as text nodes / textContent, never as HTML.

/**
 * el('button', {class: 'btn', onclick: fn, 'aria-label': 'x'}, 'text', childNode)
 * Props: `class`, `text`, `dataset` (object), `on<event>` (listener), anything else is an
 * attribute (true → present, false/null → absent).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** The element matching `[data-<name>]` inside `root`. */
export function part(name, root = document) {
  return root.querySelector(`[data-${name}]`);
}

export function showBanner(node, message) {
  node.textContent = message ?? '';
  node.hidden = !message;
}

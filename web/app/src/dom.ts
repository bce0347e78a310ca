/** A small DOM builder: elements from a tag, attributes and children, with text always escaped. */

type Child = Node | string | number | bigint | false | null | undefined;

/** Attributes; `on*` keys take listeners, `dataset` a map of `data-*` values. */
type Attributes = Record<
  string,
  string | number | boolean | EventListener | Record<string, string> | undefined
>;

/** An element `tag` with `attributes` and `children` (strings become text nodes, falsy children are skipped). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "dataset" && typeof value === "object") {
      for (const [name, data] of Object.entries(value)) element.dataset[name] = data;
    } else if (key === "value" && "value" in element) {
      (element as HTMLInputElement).value = String(value);
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, ...children);
  return element;
}

/** Appends `children` to `parent`, skipping falsy ones. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces `parent`'s children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Reading an HTML page the way a browser parses it (parse5, the WHATWG algorithm), for tests of generated pages. */
import { parse } from 'parse5';

export interface HtmlNode {
  nodeName: string;
  tagName?: string;
  attrs?: Array<{ name: string; value: string }>;
  childNodes?: HtmlNode[];
  content?: HtmlNode;
  value?: string;
}

export function parseHtml(html: string): HtmlNode {
  return parse(html) as unknown as HtmlNode;
}

export function* walk(node: HtmlNode): Generator<HtmlNode> {
  yield node;
  for (const child of node.childNodes ?? []) yield* walk(child);
  if (node.content) yield* walk(node.content);
}

export function elements(root: HtmlNode, tag?: string): HtmlNode[] {
  return [...walk(root)].filter((node) => node.tagName !== undefined && (tag === undefined || node.tagName === tag));
}

export function attr(node: HtmlNode, name: string): string | undefined {
  return node.attrs?.find((entry) => entry.name === name)?.value;
}

export function byId(root: HtmlNode, id: string): HtmlNode {
  const found = [...walk(root)].find((node) => attr(node, 'id') === id);
  if (!found) throw new Error(`no element with id ${id}`);
  return found;
}

export function textOf(node: HtmlNode): string {
  return [...walk(node)]
    .filter((child) => child.nodeName === '#text')
    .map((child) => child.value ?? '')
    .join('');
}

/** The number shown by `<… data-count="key">1,234</…>`. */
export function countOf(root: HtmlNode, key: string): number {
  const node = [...walk(root)].find((child) => attr(child, 'data-count') === key);
  if (!node) throw new Error(`no data-count=${key}`);
  return Number(textOf(node).replace(/,/g, ''));
}

/**
 * Pages are typed TSX components rendered on the server by preact-render-to-string, which
 * escapes every text and attribute value: no page is built by concatenating HTML.
 */
import type { VNode } from 'preact';
import { render } from 'preact-render-to-string';

/** A whole HTML document from its root element. */
export function renderPage(root: VNode): string {
  return `<!doctype html>${render(root)}`;
}

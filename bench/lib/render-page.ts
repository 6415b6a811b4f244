/**
 * The page every server of bench/http-pages.ts renders: a product list of 20
 * items, about 4 KB of HTML, built the way a template engine would (strings
 * escaped and joined), so an uncached page costs a little real work.
 */
const NAMES = ['Oak table', 'Linen shirt', 'Kettle', 'Desk lamp', 'Wool scarf', 'Teapot', 'Notebook'];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page's HTML. */
export function renderPage(): string {
  const items: string[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `${NAMES[i % NAMES.length]} <${i}>`;
    items.push(
      `<li class="product"><a href="/products/${i + 1}">${escapeHtml(name)}</a><span class="price">€${(9.99 + i * 3.5).toFixed(2)}</span><p>${escapeHtml(`A well made ${name.toLowerCase()} for everyday use, in stock & ready to ship.`)}</p></li>`,
    );
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Products</title></head><body><h1>Products</h1><ul>${items.join('')}</ul></body></html>`;
}

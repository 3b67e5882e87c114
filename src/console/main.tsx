/** The console's entry point: renders the app into the page the node served. */
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
  // Time to first render, for the closing note's measure (read by the browser tests).
  performance.mark('medchain-first-render');
}

// Vite's `?raw` imports: a file's text, e.g. a migration's SQL.
declare module "*?raw" {
  const text: string;
  export default text;
}

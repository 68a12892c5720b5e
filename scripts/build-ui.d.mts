/** Builds the web console (ui/) into `outDir` (absolute): index.html and assets/. */
export function buildUi(outDir: string): Promise<void>;

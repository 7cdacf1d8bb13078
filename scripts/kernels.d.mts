export function assembleKernels(): Promise<Uint8Array>;
export function kernelsModuleText(bytes: Uint8Array): string;

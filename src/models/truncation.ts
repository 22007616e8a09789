// Truncating a model at a named module, as upstream's clip_convnext_layers / clip_model do: modules are created
// in PyTorch's named_modules order, and from the cut on (`at`: that module and everything after it; `after`:
// everything after it and its own submodules) nothing is created.
export class Cut {
  private reached = false;
  private pendingAfter: string | null = null;

  constructor(private readonly spec: { at?: string; after?: string } = {}) {}

  /** Whether the module at `path` is created. Call in named_modules order. */
  keeps(path: string): boolean {
    if (this.reached) return false;
    if (this.pendingAfter !== null && !(path === this.pendingAfter || path.startsWith(`${this.pendingAfter}.`))) {
      this.reached = true;
      return false;
    }
    if (this.spec.at === path) { this.reached = true; return false; }
    if (this.spec.after === path) this.pendingAfter = path;
    return true;
  }

  get isCut(): boolean { return this.reached || this.pendingAfter !== null; }
}

// The part of isolated-vm's API the sandbox child uses, typed here rather than imported: the
// package is an optional dependency (a native build), and the host must compile without it.

export interface IvmTransferOptions {
  copy?: boolean;
  reference?: boolean;
  promise?: boolean;
}

export interface IvmReference {
  readonly typeof: string;
  get(property: string, options?: { reference?: boolean }): Promise<IvmReference>;
  set(property: string, value: unknown, options?: IvmTransferOptions): Promise<void>;
  delete(property: string): Promise<void>;
  derefInto(): unknown;
  apply(receiver: unknown, args: unknown[], options?: { timeout?: number; arguments?: IvmTransferOptions; result?: IvmTransferOptions }): Promise<unknown>;
  release(): void;
}

export interface IvmContext {
  readonly global: IvmReference;
  eval(code: string, options?: { timeout?: number; filename?: string }): Promise<unknown>;
  release(): void;
}

export interface IvmModule {
  readonly dependencySpecifiers: string[];
  readonly namespace: IvmReference;
  instantiate(context: IvmContext, resolve: (specifier: string) => never): Promise<void>;
  evaluate(options?: { timeout?: number }): Promise<unknown>;
  release(): void;
}

export interface IvmIsolate {
  readonly isDisposed: boolean;
  createContext(): Promise<IvmContext>;
  compileModule(code: string, options?: { filename?: string }): Promise<IvmModule>;
  compileScript(code: string, options?: { filename?: string }): Promise<{ run(context: IvmContext, options?: { timeout?: number }): Promise<unknown> }>;
  dispose(): void;
}

export interface IsolatedVm {
  Isolate: new (options: { memoryLimit: number; onCatastrophicError?: (message: string) => void }) => IvmIsolate;
  Callback: new (fn: (...args: never[]) => unknown) => unknown;
  Reference: new (value: unknown) => IvmReference;
}

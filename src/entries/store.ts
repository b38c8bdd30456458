// `redis-agent-memory/store`: the document store (namespaced JSON documents, search by meaning and
// by value) under the LangGraph store (`createAgentMemory(...).documentStore()`). The namespace
// pattern rule is public so that a caller combining several conditions (the LangGraph adapter's
// listNamespaces) applies exactly the store's rule: `'*'` matches any one label.
export type {
  DocumentSearch,
  DocumentStore,
  DocumentStoreOptions,
  DocumentWrite,
  FoundDocument,
  ListNamespacesOptions,
  StoredDocument,
} from '../store/document-store.js';
export { matchesPattern as matchesNamespacePattern } from '../store/namespace.js';
export type { Namespace } from '../store/namespace.js';
// Searches filter documents with the library's one filter language (any JSON field path).
export type { Filter, FilterValue } from '../vector/filter.js';

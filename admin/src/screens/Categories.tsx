import { useState, type FormEvent } from 'react';
import { AdminCreateCategory, AdminUpdateCategory, type AdminProductsQuery } from '../generated/operations.ts';
import { Field } from '../Field.tsx';
import { useAction } from '../useOperation.ts';

type Category = AdminProductsQuery['categories'][number];

type Action = ReturnType<typeof useAction>;

function CategoryNode({ c, all, action, changed }: { c: Category; all: Category[]; action: Action; changed: () => void }) {
  const [name, setName] = useState(c.name);
  const [parent, setParent] = useState(c.parent?.id ?? '');
  const children = all.filter((k) => k.parent?.id === c.id);
  return (
    <li>
      <form className="inline-form" aria-label={`Category ${c.name}`} onSubmit={(e) => e.preventDefault()}>
        <label className="inline">Name<input value={name} onChange={(e) => setName(e.target.value)} /></label>
        <button type="button" disabled={action.busy || name === c.name} onClick={() => void action.act(AdminUpdateCategory, { id: c.id, input: { name } }).then((r) => r && changed())}>Rename</button>
        <label className="inline">Parent
          <select value={parent} onChange={(e) => setParent(e.target.value)}>
            <option value="">(top level)</option>
            {all.filter((o) => o.id !== c.id).map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
          </select>
        </label>
        <button type="button" disabled={action.busy || parent === (c.parent?.id ?? '')} onClick={() => void action.act(AdminUpdateCategory, { id: c.id, input: { parentId: parent || null } }).then((r) => r && changed())}>Move</button>
      </form>
      {children.length > 0 && <ul>{children.map((k) => <CategoryNode key={k.id} c={k} all={all} action={action} changed={changed} />)}</ul>}
    </li>
  );
}

/** The category tree: each category under its parent, with rename, move and create. */
export function Categories({ categories, changed }: { categories: Category[]; changed: () => void }) {
  const action = useAction();
  const [draft, setDraft] = useState({ name: '', slug: '', parentId: '' });
  const childrenOf = (id: string | null) => categories.filter((c) => (c.parent?.id ?? null) === id);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const done = await action.act(AdminCreateCategory, { input: { name: draft.name, slug: draft.slug, ...(draft.parentId ? { parentId: draft.parentId } : {}) } });
    if (done) (setDraft({ name: '', slug: '', parentId: '' }), changed());
  };

  return (
    <section aria-labelledby="categories-title">
      <h2 id="categories-title">Categories</h2>
      {action.general && <p role="alert">{action.general}</p>}
      {action.errorFor('parentId') && <p role="alert">{action.errorFor('parentId')}</p>}
      <ul className="tree">{childrenOf(null).map((c) => <CategoryNode key={c.id} c={c} all={categories} action={action} changed={changed} />)}</ul>
      <form className="editor" onSubmit={create} aria-label="New category">
        <Field label="Category name" required value={draft.name} error={action.errorFor('name')} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        <Field label="Slug" required value={draft.slug} error={action.errorFor('slug')} onChange={(e) => setDraft({ ...draft, slug: e.target.value })} />
        <label>Parent category
          <select value={draft.parentId} onChange={(e) => setDraft({ ...draft, parentId: e.target.value })}>
            <option value="">(top level)</option>
            {categories.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
          </select>
        </label>
        <button type="submit" disabled={action.busy}>{action.busy ? 'Creating…' : 'Create category'}</button>
      </form>
    </section>
  );
}

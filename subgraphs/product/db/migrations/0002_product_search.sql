-- Full-text search over name (weight A) and description (weight B), kept current by Postgres itself.
ALTER TABLE "products"."products" ADD COLUMN IF NOT EXISTS "search" tsvector
  GENERATED ALWAYS AS (setweight(to_tsvector('english', coalesce("name", '')), 'A') || setweight(to_tsvector('english', coalesce("description", '')), 'B')) STORED;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "products_search_idx" ON "products"."products" USING gin ("search");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "products_category_idx" ON "products"."products" ("category_id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "categories_parent_idx" ON "products"."categories" ("parent_id");

ALTER TABLE "products"."products" ADD COLUMN "brand" text;--> statement-breakpoint
ALTER TABLE "products"."products" ADD COLUMN "attributes" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "products"."products" ADD COLUMN "image_urls" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "products"."stock_movements" ADD COLUMN "kind" text DEFAULT 'adjustment' NOT NULL;--> statement-breakpoint
ALTER TABLE "products"."stock_movements" ADD COLUMN "stock_after" integer;--> statement-breakpoint
CREATE INDEX "products_price_idx" ON "products"."products" USING btree ("price_cents","id");--> statement-breakpoint
CREATE INDEX "products_name_idx" ON "products"."products" USING btree (lower("name") collate "C","id");--> statement-breakpoint
-- Movements written before the kind was kept: what each writer recorded tells them apart.
UPDATE "products"."stock_movements" SET "kind" = CASE
  WHEN "order_ref" IS NULL AND "reason" = 'initial stock' THEN 'initial'
  WHEN "order_ref" IS NULL THEN 'adjustment'
  WHEN "delta" < 0 THEN 'reservation'
  ELSE 'release' END;

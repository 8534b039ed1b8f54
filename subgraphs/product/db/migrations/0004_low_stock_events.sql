CREATE TABLE "products"."event_outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"event" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	CONSTRAINT "event_outbox_id_unique" UNIQUE("id")
);
--> statement-breakpoint
ALTER TABLE "products"."products" ADD COLUMN "reorder_point" integer DEFAULT 5 NOT NULL;--> statement-breakpoint
CREATE INDEX "event_outbox_unpublished_idx" ON "products"."event_outbox" USING btree ("seq") WHERE "products"."event_outbox"."published_at" is null;
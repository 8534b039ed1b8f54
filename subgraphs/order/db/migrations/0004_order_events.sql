CREATE TABLE "orders"."event_outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"event" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	CONSTRAINT "event_outbox_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE INDEX "event_outbox_unpublished_idx" ON "orders"."event_outbox" USING btree ("seq") WHERE "orders"."event_outbox"."published_at" is null;
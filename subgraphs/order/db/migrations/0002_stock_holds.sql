CREATE TABLE "orders"."stock_holds" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_holds_state_known" CHECK ("orders"."stock_holds"."state" in ('open','placed','abandoned'))
);
--> statement-breakpoint
CREATE INDEX "stock_holds_created_idx" ON "orders"."stock_holds" USING btree ("created_at");
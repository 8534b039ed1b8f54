CREATE TABLE "users"."event_dead_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"stream" text NOT NULL,
	"entry_id" text NOT NULL,
	"reason" text NOT NULL,
	"fields" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users"."notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "users"."mail_queue" ADD COLUMN "notification_id" uuid;--> statement-breakpoint
CREATE UNIQUE INDEX "event_dead_letters_entry_key" ON "users"."event_dead_letters" USING btree ("stream","entry_id");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_event_user_key" ON "users"."notifications" USING btree ("event_id","user_id");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "users"."notifications" USING btree ("user_id","created_at","id");
CREATE TABLE "users"."erasures" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"pending" text[] NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "users"."users" ADD COLUMN "deleted_at" timestamp with time zone;
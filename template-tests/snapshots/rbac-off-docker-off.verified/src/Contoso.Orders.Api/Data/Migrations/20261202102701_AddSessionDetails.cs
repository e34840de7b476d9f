using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Contoso.Orders.Api.Data.Migrations
{
    /// <summary>
    /// Each refresh-token family is a session: when it began, how (the access token's <c>amr</c>), and from which client
    /// each token was issued, for the session list.
    /// </summary>
    public partial class AddSessionDetails : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "authentication_methods",
                table: "refresh_tokens",
                type: "character varying(40)",
                maxLength: 40,
                nullable: false,
                defaultValue: "pwd");

            migrationBuilder.AddColumn<string>(
                name: "client_address",
                table: "refresh_tokens",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "session_started_at",
                table: "refresh_tokens",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            migrationBuilder.AddColumn<string>(
                name: "user_agent",
                table: "refresh_tokens",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true);

            // Sessions begun before this migration began with a password, when their family's first token was issued.
            migrationBuilder.Sql("""
                UPDATE refresh_tokens AS t SET session_started_at = f.started
                FROM (SELECT family_id, min(created_at) AS started FROM refresh_tokens GROUP BY family_id) AS f
                WHERE t.family_id = f.family_id
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "authentication_methods",
                table: "refresh_tokens");

            migrationBuilder.DropColumn(
                name: "client_address",
                table: "refresh_tokens");

            migrationBuilder.DropColumn(
                name: "session_started_at",
                table: "refresh_tokens");

            migrationBuilder.DropColumn(
                name: "user_agent",
                table: "refresh_tokens");
        }
    }
}

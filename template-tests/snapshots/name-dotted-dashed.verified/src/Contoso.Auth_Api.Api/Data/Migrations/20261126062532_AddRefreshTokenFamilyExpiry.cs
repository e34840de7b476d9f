using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Contoso.Auth_Api.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddRefreshTokenFamilyExpiry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "family_expires_at",
                table: "refresh_tokens",
                type: "timestamp with time zone",
                nullable: true);

            // Families that exist already end when their current token does: no session gets longer than it was.
            migrationBuilder.Sql("UPDATE refresh_tokens SET family_expires_at = expires_at");

            migrationBuilder.AlterColumn<DateTimeOffset>(
                name: "family_expires_at",
                table: "refresh_tokens",
                type: "timestamp with time zone",
                nullable: false,
                oldClrType: typeof(DateTimeOffset),
                oldType: "timestamp with time zone",
                oldNullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "family_expires_at",
                table: "refresh_tokens");
        }
    }
}

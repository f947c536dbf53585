package authtuna_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/authtuna/authtuna-grpc/clients/go/authtuna"
	userv1 "github.com/authtuna/authtuna-grpc/clients/go/userv1"
)

// The body of Example is shown in docs/clients.md; TestTheDocsShowTheExample keeps
// the two equal.
func Example() {
	ctx := context.Background()
	client, err := authtuna.Dial(ctx, os.Getenv("AUTHTUNA_ADDRESS"),
		authtuna.WithToken(os.Getenv("AUTHTUNA_TOKEN")),
		authtuna.WithInsecure(), // plaintext: a server on localhost
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	_, err = client.CreateUser(ctx, &userv1.CreateUserRequest{
		Email:    "ada@example.com",
		Username: "ada",
		Password: proto.String("Correct-Horse-9"),
	})
	if err != nil && !authtuna.IsReason(err, authtuna.ReasonEmailAlreadyRegistered) {
		log.Fatal(err)
	}

	found, err := client.GetUser(ctx, &userv1.GetUserRequest{
		Lookup: &userv1.GetUserRequest_Username{Username: "ADA"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("found", found.GetUser().GetEmail())

	_, err = client.GetUser(ctx, &userv1.GetUserRequest{
		Lookup: &userv1.GetUserRequest_Username{Username: "grace"},
	})
	fmt.Println("grace:", authtuna.Reason(err))

	_, err = client.CreateUser(ctx, &userv1.CreateUserRequest{Email: "not-an-email", Username: "x"})
	for _, violation := range authtuna.FieldViolations(err) {
		fmt.Println(violation.GetField(), "-", violation.GetDescription())
	}

	for user, err := range client.AllUsers(ctx, 100) {
		if err != nil {
			log.Fatal(err)
		}
		if user.GetUsername() == "ada" {
			fmt.Println("listed", user.GetUsername())
		}
	}
	// Output:
	// found ada@example.com
	// grace: USER_NOT_FOUND
	// email - must have the form local@domain
	// username - must be 3-32 characters
	// listed ada
}

package authtuna

import (
	"context"
	"errors"
	"io"
	"iter"

	"google.golang.org/grpc"

	userv1 "github.com/authtuna/authtuna-grpc/clients/go/userv1"
)

// Flatten turns batches into one sequence of items: it calls recv until io.EOF
// and yields every item of every batch. An error from recv is yielded once (with
// the zero item) and ends the sequence; so does the consumer leaving the loop.
//
//	for user, err := range authtuna.Flatten(stream.Recv, (*userv1.SearchUsersResponse).GetUsers) { ... }
func Flatten[T, R any](recv func() (R, error), items func(R) []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			batch, err := recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items(batch) {
				if !yield(item, nil) {
					return
				}
			}
		}
	}
}

// Stream calls a server-streaming RPC and flattens its batches; leaving the loop
// early cancels the call. A batch stream is then one line:
//
//	authtuna.Stream(ctx, client.SearchUsers, req, (*userv1.SearchUsersResponse).GetUsers)
func Stream[T, Req, Res any](
	ctx context.Context,
	rpc func(context.Context, *Req, ...grpc.CallOption) (grpc.ServerStreamingClient[Res], error),
	req *Req,
	items func(*Res) []T,
) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := rpc(ctx, req)
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		for item, err := range Flatten(stream.Recv, items) {
			if !yield(item, err) {
				return
			}
		}
	}
}

// AllUsers yields every user in id order, following page tokens; pageSize 0
// means the server's default. Each page is one ListUsers call.
func (c *Client) AllUsers(ctx context.Context, pageSize int32) iter.Seq2[*userv1.User, error] {
	return func(yield func(*userv1.User, error) bool) {
		for user, err := range Flatten(c.userPages(ctx, pageSize), (*userv1.ListUsersResponse).GetUsers) {
			if !yield(user, err) {
				return
			}
		}
	}
}

func (c *Client) userPages(ctx context.Context, pageSize int32) func() (*userv1.ListUsersResponse, error) {
	token, done := "", false
	return func() (*userv1.ListUsersResponse, error) {
		if done {
			return nil, io.EOF
		}
		page, err := c.ListUsers(ctx, &userv1.ListUsersRequest{Limit: pageSize, PageToken: token})
		if err != nil {
			return nil, err
		}
		token = page.GetNextPageToken()
		done = token == ""
		return page, nil
	}
}

// SearchAllUsers yields every user SearchUsers finds, in id order, across its
// batches; leaving the loop early cancels the search.
func (c *Client) SearchAllUsers(ctx context.Context, req *userv1.SearchUsersRequest) iter.Seq2[*userv1.User, error] {
	return Stream(ctx, c.SearchUsers, req, (*userv1.SearchUsersResponse).GetUsers)
}

// BasicSearchAllUsers yields the id and username of every active person whose
// username contains req.Username (at most 100 per call).
func (c *Client) BasicSearchAllUsers(ctx context.Context, req *userv1.BasicSearchUsersRequest) iter.Seq2[*userv1.BasicUser, error] {
	return Stream(ctx, c.BasicSearchUsers, req, (*userv1.BasicSearchUsersResponse).GetUsers)
}

// AllAuditEvents yields every audit event ListAuditEvents finds, in the
// requested order, across its batches.
func (c *Client) AllAuditEvents(ctx context.Context, req *userv1.ListAuditEventsRequest) iter.Seq2[*userv1.AuditEvent, error] {
	return Stream(ctx, c.ListAuditEvents, req, (*userv1.ListAuditEventsResponse).GetEvents)
}
